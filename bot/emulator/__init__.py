"""Local emulators of the services Outpost talks to, for tests and the sandbox."""
