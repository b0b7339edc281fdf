"""SMS over SMPP 3.4: PDUs (smpplib's codec), texts as parts, the bound link, the channel."""
