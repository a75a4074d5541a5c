// The suite runs on Linux only: it starts real servers through scripts/servers.sh and checks Unix file modes
// (0600 keys, 0700 folders) directly. Saying so lets the platform analyzer accept those File.*UnixFileMode calls.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
