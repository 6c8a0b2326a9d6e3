"""The marketing studio: emotion-tuned e-mail drafts from CRM insight, checked for
manipulation and legal mentions, approved by a person, then exported.

Callers use `agents.marketing.service.MarketingService` (built by the composition root,
`agents.services.root.Root.marketing`) and `agents.marketing.compliance`.
"""
