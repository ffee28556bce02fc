"""The web UI's files. The folder is a package only so that importlib.resources finds it, installed or not
(see core/resources.py); nothing imports Python from here."""
