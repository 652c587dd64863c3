"""The market: channels, prices, signals, attitude, choice and after-purchase."""
