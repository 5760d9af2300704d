"""Server-rendered web pages over the service layer, in Chinese and English.

:func:`portrait.web.app.create_app` builds the API app and adds the pages
(:func:`portrait.web.router.router`); every asset is served from ``static/`` (no CDN).
"""
