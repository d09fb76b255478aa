"""The demo world: people for every role and the action plan's initiatives told as three years
of real history through the engine (``loader.load_demo``)."""
