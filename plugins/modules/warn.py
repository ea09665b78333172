#!/usr/bin/python
"""Documentation of the warn action (plugins/action/warn.py), which runs on the controller: there
is no module to run on the host."""

DOCUMENTATION = r"""
module: warn
short_description: A message shown as a warning of the run
description:
  - Adds I(msg) to the run's warnings, shown as C([WARNING]) by every callback, for a choice that
    is allowed but risky (such as a site that answers any host name).
  - Runs on the controller only; never changes anything.
options:
  msg:
    description: The warning.
    type: str
    required: true
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Say that the site answers any name
  pyweb.deploy.warn:
    msg: nginx_server_name is "_", so the site answers any Host name.
  when: "'_' in nginx_server_name.split()"
"""

RETURN = r"""
warnings:
  description: The message, as the run shows it.
  returned: always
  type: list
  elements: str
"""
