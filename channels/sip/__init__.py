"""A minimal SIP user agent client over UDP (RFC 3261) with G.711 RTP and RFC 4733 events.

Just what an outgoing notification call needs: INVITE with digest authentication, ACK,
CANCEL, BYE, REGISTER and OPTIONS; one G.711 stream sent, telephone events received. The
reasons for writing it rather than taking a library are in docs/integrations/voix.md.
"""
