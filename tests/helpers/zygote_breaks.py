"""A module whose import fails (not with ImportError): preloaded by a zygote in
tests/test_zygote.py, it makes the zygote die at start, as a broken install would."""

raise RuntimeError("this module cannot be imported (a broken install, as far as the zygote knows)")
