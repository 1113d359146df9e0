"""Official mail (Circular 53/2012, Art. 4): official business never uses private mailboxes."""

from __future__ import annotations

#: public mailbox providers that are not official mail
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.com.vn",
        "ymail.com",
        "hotmail.com",
        "outlook.com",
        "outlook.com.vn",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "aol.com",
        "mail.ru",
        "proton.me",
        "protonmail.com",
        "zoho.com",
        "gmx.com",
    }
)


def is_private_mailbox(email: str) -> bool:
    """Whether ``email`` is at a public provider rather than an official (.edu.vn…) domain."""
    domain = (email or "").strip().lower().rpartition("@")[2]
    return domain in PUBLIC_MAIL_DOMAINS
