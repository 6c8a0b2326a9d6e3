"""The marketing studio: emotion-tuned e-mail drafts from CRM insight, checked for
manipulation and legal mentions, approved by a person, then exported.

Callers use `agents.marketing.service.MarketingService` (built by
`agents.marketing.wiring.open_marketing_service`) and `agents.marketing.compliance`.
"""
