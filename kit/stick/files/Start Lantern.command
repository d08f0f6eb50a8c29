#!/bin/sh
# macOS: double-click to start Lantern from this stick; it opens in the browser.
# The first time, macOS may refuse an unknown program: right-click this file, choose Open.
cd "$(dirname "$0")" || exit 1
exec sh ./start-lantern.sh "$@"
