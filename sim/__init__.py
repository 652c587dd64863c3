"""socsim: agent-based simulator of social-commerce channel economics.

WeChat (微信, closed private domain) vs Tmall (天猫, open marketplace): consumers on a
150-contact social graph respond to content, KOL/KOC posts, word of mouth, group deals
and price-parity signals. See docs/MODEL.md.
"""

__version__ = "0.1.0"
