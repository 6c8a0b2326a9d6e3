"""The language model: the client boundary (`client`), its server (`server`, `runtime`)."""
