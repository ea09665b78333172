#!/usr/bin/python
"""Documentation of the copy_tree action (plugins/action/copy_tree.py), which does all the work on
the controller and unpacks with ansible.builtin.unarchive: there is no module to run on the host."""

DOCUMENTATION = r"""
module: copy_tree
short_description: A directory of the controller copied into one on the host, as one archive
description:
  - Packs I(src) into one gzipped tar on the controller, sends it and unpacks it into I(dest) with
    C(ansible.builtin.unarchive). The cost is the same two round trips for three files or three
    thousand, where C(ansible.builtin.copy) makes about three per file.
  - Links under I(src) are followed, as C(ansible.builtin.copy) follows them on the controller. A
    broken link, or one to a directory it is inside of, fails the task and names it.
  - Every file and directory arrives owned by I(owner) and I(group) with I(mode) applied, or as
    root's with the modes it has on the controller when they are not given.
  - Does not compare. What is in the archive is written over what I(dest) holds; made for a
    directory that is new, such as a release.
  - Check mode packs the tree (so a missing or broken source fails it too) and reports a change,
    sending nothing.
options:
  src:
    description: A directory on the controller, whose contents are copied (not the directory
      itself), or one file.
    type: path
    required: true
  dest:
    description: An existing directory on the host.
    type: path
    required: true
  owner:
    description: Owner of everything copied.
    type: str
  group:
    description: Group of everything copied.
    type: str
  mode:
    description: Mode of everything copied, symbolic modes such as C(u=rwX,g=rX,o=) included.
    type: raw
  exclude:
    description: Shell patterns such as C(.git) or C(.env*), matched against each file's and
      directory's own name at any depth; a match is left out with everything under it. Not
      applied to a single file given as I(src).
    type: list
    elements: str
    default: []
author: pyweb.deploy maintainers (@pyweb)
"""

EXAMPLES = r"""
- name: Copy the app code into the release
  pyweb.deploy.copy_tree:
    src: "{{ playbook_dir }}/app"
    dest: /opt/app/releases/1
    owner: root
    group: app
    mode: u=rwX,g=rX,o=
    exclude: [.git, .env*, __pycache__]
"""

RETURN = r"""
count:
  description: How many files and directories were copied.
  type: int
  returned: success
"""
