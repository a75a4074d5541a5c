namespace BackupTools.Core.Operations;

/// <summary>
/// A test hook for crash tests: when BACKUPTOOLS_TEST_PAUSE_AT names this point, the process writes the point's
/// name to the file BACKUPTOOLS_TEST_PAUSED_FILE names (if set) and stops there for good, so a test can SIGKILL it
/// at exactly that step. Unset (always, outside tests) it does nothing.
/// </summary>
public static class FaultPoint
{
    public const string Variable = "BACKUPTOOLS_TEST_PAUSE_AT";
    public const string MarkerVariable = "BACKUPTOOLS_TEST_PAUSED_FILE";

    public static void Reached(string name)
    {
        if (Environment.GetEnvironmentVariable(Variable) != name) return;
        if (Environment.GetEnvironmentVariable(MarkerVariable) is { Length: > 0 } marker) File.WriteAllText(marker, name);
        Thread.Sleep(Timeout.Infinite);
    }
}
