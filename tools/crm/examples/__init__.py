"""Small example exports (FR and EN) for `ressenti crm import`; see README "CRM"."""
