namespace BackupTools.PowerShell; internal static class Placeholder {}
