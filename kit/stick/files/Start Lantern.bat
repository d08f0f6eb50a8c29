@echo off
rem Windows: double-click to start Lantern from this stick; it opens in the browser.
rem Keep this window open while teaching; close it to stop Lantern.
cd /d "%~dp0"
if not exist "Lantern\windows\lantern.exe" (
  echo This stick has no Lantern program for Windows ^(looked for Lantern\windows\lantern.exe^).
  echo See README.txt on the stick, "When something fails".
  pause
  exit /b 1
)
"Lantern\windows\lantern.exe" start %*
if errorlevel 1 (
  echo.
  echo Lantern stopped with an error ^(the messages are above^).
  echo See README.txt on the stick, "When something fails".
  pause
)
