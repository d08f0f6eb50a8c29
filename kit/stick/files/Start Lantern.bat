@echo off
rem Windows: double-click to start Lantern from this stick; it opens in the browser.
rem Keep this window open while teaching; close it to stop Lantern.
rem Its few words follow Windows' language (French, Portuguese, Spanish, Swahili; else English).
rem Arabic stays English here: the console cannot join Arabic letters or set them right to left.
cd /d "%~dp0"
chcp 65001 >nul
set "LOCALE=en"
for /f "tokens=3" %%L in ('reg query "HKCU\Control Panel\International" /v LocaleName 2^>nul') do set "LOCALE=%%L"
set "SAY_NO_PROGRAM=This stick has no Lantern program for Windows, looked for Lantern\windows\lantern.exe."
set "SAY_STOPPED=Lantern stopped with an error, the messages are above."
set "SAY_SEE=See README.txt on the stick, "When something fails"."
if /i "%LOCALE:~0,2%"=="fr" goto french
if /i "%LOCALE:~0,2%"=="pt" goto portuguese
if /i "%LOCALE:~0,2%"=="es" goto spanish
if /i "%LOCALE:~0,2%"=="sw" goto swahili
goto words_chosen
:french
set "SAY_NO_PROGRAM=Cette clé n’a pas de programme Lantern pour Windows, cherché : Lantern\windows\lantern.exe."
set "SAY_STOPPED=Lantern s’est arrêté sur une erreur, les messages sont au-dessus."
set "SAY_SEE=Voir README.txt sur la clé, « When something fails »."
goto words_chosen
:portuguese
set "SAY_NO_PROGRAM=Este pendrive não tem o programa Lantern para Windows, procurado: Lantern\windows\lantern.exe."
set "SAY_STOPPED=O Lantern parou com um erro, as mensagens estão acima."
set "SAY_SEE=Veja README.txt no pendrive, "When something fails"."
goto words_chosen
:spanish
set "SAY_NO_PROGRAM=Esta memoria USB no tiene el programa Lantern para Windows, buscado: Lantern\windows\lantern.exe."
set "SAY_STOPPED=Lantern se detuvo con un error, los mensajes están arriba."
set "SAY_SEE=Mira README.txt en la memoria USB, "When something fails"."
goto words_chosen
:swahili
set "SAY_NO_PROGRAM=Flash hii haina programu ya Lantern kwa Windows, imetafutwa: Lantern\windows\lantern.exe."
set "SAY_STOPPED=Lantern imesimama kwa hitilafu, ujumbe uko hapo juu."
set "SAY_SEE=Tazama README.txt kwenye flash, "When something fails"."
:words_chosen
rem Messages are echoed outside ( ) blocks: a parenthesis in them would end a block.
if exist "Lantern\windows\lantern.exe" goto start
echo %SAY_NO_PROGRAM%
echo %SAY_SEE%
pause
exit /b 1
:start
"Lantern\windows\lantern.exe" start %*
if not errorlevel 1 exit /b 0
echo.
echo %SAY_STOPPED%
echo %SAY_SEE%
pause
