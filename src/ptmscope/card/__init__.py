"""Model-card parsing done by ptmscope itself.

``huggingface_hub.ModelCard.load`` raises on real cards (a ``model-index`` entry
without ``dataset.name``) and, told to ignore errors, silently drops every claim.
So the card is parsed here: YAML front matter with errors kept, Markdown
sections, template boilerplate discounted, and claims in all four forms.
"""
