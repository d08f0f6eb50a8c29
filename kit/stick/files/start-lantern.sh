#!/bin/sh
# Start Lantern from this stick and open it in the browser (Linux; also works on macOS).
# Keep this window open while teaching; close it, or press Ctrl+C, to stop Lantern.
# Run it by double-clicking ("Run in terminal"), or in a terminal: sh start-lantern.sh
cd "$(dirname "$0")" || exit 1
STICK="$(pwd)"
case "$(uname -s)" in
  Darwin) SYSTEM=macos ;;
  *) SYSTEM=linux ;;
esac
PROGRAM="$STICK/Lantern/$SYSTEM/lantern"

fail() {
  echo
  echo "$1"
  echo "See README.txt on the stick, \"When something fails\". Press Enter to close."
  read -r _
  exit 1
}

[ -f "$PROGRAM" ] || fail "This stick has no Lantern program for $SYSTEM (looked for $PROGRAM)."

if [ ! -x "$PROGRAM" ]; then
  # Linux cannot run programs from FAT32 sticks. Run a copy on this computer instead; the
  # content, the models and the learners' work stay on the stick.
  COPY="${XDG_CACHE_HOME:-$HOME/.cache}/lantern-program/$SYSTEM"
  echo "Programs cannot run from this stick (it is probably FAT32): copying Lantern to $COPY"
  rm -rf "$COPY" && mkdir -p "$COPY" && cp -R "$STICK/Lantern/$SYSTEM/." "$COPY/" \
    && chmod +x "$COPY/lantern" || fail "Could not copy Lantern to $COPY."
  LANTERN_CONTENT="$STICK/content"
  LANTERN_MODELS="$STICK/models"
  LANTERN_WHEELS="$STICK/wheels"
  if [ -w "$STICK" ]; then LANTERN_DATA="$STICK/data"; else LANTERN_DATA="${XDG_DATA_HOME:-$HOME/.local/share}/lantern"; fi
  export LANTERN_CONTENT LANTERN_MODELS LANTERN_WHEELS LANTERN_DATA
  PROGRAM="$COPY/lantern"
fi

"$PROGRAM" start "$@" || fail "Lantern stopped with an error (the messages are above)."
