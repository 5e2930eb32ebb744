"""Inference: the data as chunks (``data``), the fitting problem, a latent structure with EM or VB
(``problem``), the one loop that runs it (``loop``, ``fit``), its starts (``initialization``) and
the online modes of ``partial_fit`` (``online``). Import from the modules themselves."""
