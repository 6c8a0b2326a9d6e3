"""Channels: where customer messages come from and where approved replies go.

- `agents.channels.chatwoot`: the Chatwoot connector (its signed Agent Bot webhook turned
  into `InboundEnvelope`s for `Intake`, and `ChatwootSender`, the `ChannelSender` that
  posts replies and handoff notes through Chatwoot's API);
- the e-mail channel: `mailparse` (reading one mail), `imap` (the mailbox poller feeding
  `Intake`), `smtp` (the `ChannelSender` of channel `email`), `mailcheck` (its checks);
- `agents.channels.registry`: the configured channels, the senders the composition root
  gives the delivery worker, and their connection checks (`ressenti channels check`).

A channel's sender plugs into `agents.support.delivery.DeliveryWorker`; its inbound side
calls `SupportService.receive` (docs/turn-lifecycle.md). This layer sits between the
evaluations and the two graphs: it may import `agents.support`, and the services and the
web layer import it.
"""
