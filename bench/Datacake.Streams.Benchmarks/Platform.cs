// The Queries benchmarks host the API, which runs on Linux only (Debian's servers, Unix file modes).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
