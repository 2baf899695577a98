// Integration tests run on Linux only: they start Debian's servers and check Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
