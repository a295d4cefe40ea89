"""JSON-Schema tools on their own: OpenAI strict-mode checks and compatibility classification."""
