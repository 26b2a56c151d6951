"""Local stand-ins for the accounting and billing systems Recoup connects to: never the network."""
