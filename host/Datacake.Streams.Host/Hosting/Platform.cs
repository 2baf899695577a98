// The host runs on Linux (Debian servers, containers); it relies on Unix file modes for keys and tokens (0600).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
