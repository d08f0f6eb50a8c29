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

# The launcher's few words in the computer's language, as the kit's pages are in the learner's
# (English, French, Portuguese, Spanish, Swahili, Arabic; anything else: English).
SAY_SEE_README='See README.txt on the stick, "When something fails". Press Enter to close.'
SAY_NO_PROGRAM='This stick has no Lantern program for %s (looked for %s).'
SAY_COPYING='Programs cannot run from this stick (it is probably FAT32): copying Lantern to %s'
SAY_COPY_FAILED='Could not copy Lantern to %s.'
SAY_STOPPED='Lantern stopped with an error (the messages are above).'
case "${LC_ALL:-${LC_MESSAGES:-${LANG:-}}}" in
  fr*) SAY_SEE_README='Voir README.txt sur la clé, « When something fails ». Appuyez sur Entrée pour fermer.'
       SAY_NO_PROGRAM='Cette clé n’a pas de programme Lantern pour %s (cherché : %s).'
       SAY_COPYING='Les programmes ne peuvent pas tourner depuis cette clé (sans doute en FAT32) : copie de Lantern vers %s'
       SAY_COPY_FAILED='Impossible de copier Lantern vers %s.'
       SAY_STOPPED='Lantern s’est arrêté sur une erreur (les messages sont au-dessus).' ;;
  pt*) SAY_SEE_README='Veja README.txt no pendrive, "When something fails". Prima Enter para fechar.'
       SAY_NO_PROGRAM='Este pendrive não tem o programa Lantern para %s (procurado: %s).'
       SAY_COPYING='Os programas não podem correr a partir deste pendrive (deve ser FAT32): copiando o Lantern para %s'
       SAY_COPY_FAILED='Não foi possível copiar o Lantern para %s.'
       SAY_STOPPED='O Lantern parou com um erro (as mensagens estão acima).' ;;
  es*) SAY_SEE_README='Mira README.txt en la memoria USB, "When something fails". Pulsa Intro para cerrar.'
       SAY_NO_PROGRAM='Esta memoria USB no tiene el programa Lantern para %s (buscado: %s).'
       SAY_COPYING='Los programas no pueden ejecutarse desde esta memoria (probablemente FAT32): copiando Lantern a %s'
       SAY_COPY_FAILED='No se pudo copiar Lantern a %s.'
       SAY_STOPPED='Lantern se detuvo con un error (los mensajes están arriba).' ;;
  sw*) SAY_SEE_README='Tazama README.txt kwenye flash, "When something fails". Bonyeza Enter ili kufunga.'
       SAY_NO_PROGRAM='Flash hii haina programu ya Lantern kwa %s (imetafutwa: %s).'
       SAY_COPYING='Programu haziwezi kuendeshwa kutoka flash hii (huenda ni FAT32): inanakili Lantern kwenda %s'
       SAY_COPY_FAILED='Imeshindwa kunakili Lantern kwenda %s.'
       SAY_STOPPED='Lantern imesimama kwa hitilafu (ujumbe uko hapo juu).' ;;
  ar*) SAY_SEE_README='راجع README.txt على الذاكرة، قسم "When something fails". اضغط Enter للإغلاق.'
       SAY_NO_PROGRAM='لا يوجد على هذه الذاكرة برنامج Lantern لنظام %s (بحثنا عن %s).'
       SAY_COPYING='لا يمكن تشغيل البرامج من هذه الذاكرة (غالبًا FAT32): جارٍ نسخ Lantern إلى %s'
       SAY_COPY_FAILED='تعذر نسخ Lantern إلى %s.'
       SAY_STOPPED='توقف Lantern بسبب خطأ (الرسائل أعلاه).' ;;
esac

fail() {
  echo
  echo "$1"
  echo "$SAY_SEE_README"
  read -r _
  exit 1
}

# shellcheck disable=SC2059  # the format strings are the messages above
[ -f "$PROGRAM" ] || fail "$(printf "$SAY_NO_PROGRAM" "$SYSTEM" "$PROGRAM")"

if [ ! -x "$PROGRAM" ]; then
  # Linux cannot run programs from FAT32 sticks. Run a copy on this computer instead; the
  # content, the models and the learners' work stay on the stick.
  COPY="${XDG_CACHE_HOME:-$HOME/.cache}/lantern-program/$SYSTEM"
  printf "$SAY_COPYING\n" "$COPY"
  rm -rf "$COPY" && mkdir -p "$COPY" && cp -R "$STICK/Lantern/$SYSTEM/." "$COPY/" \
    && chmod +x "$COPY/lantern" || fail "$(printf "$SAY_COPY_FAILED" "$COPY")"
  LANTERN_CONTENT="$STICK/content"
  LANTERN_MODELS="$STICK/models"
  LANTERN_WHEELS="$STICK/wheels"
  if [ -w "$STICK" ]; then LANTERN_DATA="$STICK/data"; else LANTERN_DATA="${XDG_DATA_HOME:-$HOME/.local/share}/lantern"; fi
  export LANTERN_CONTENT LANTERN_MODELS LANTERN_WHEELS LANTERN_DATA
  PROGRAM="$COPY/lantern"
fi

"$PROGRAM" start "$@" || fail "$SAY_STOPPED"
