"""The real-time voice pipeline: plain asyncio, no Django or Channels (see README.md)."""
