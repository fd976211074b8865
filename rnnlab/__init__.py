"""rnnlab: feed-forward, recurrent and LSTM networks, built, trained and shown."""
