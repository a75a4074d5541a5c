namespace BackupTools.Core.Operations;

/// <summary>
/// A test hook for crash tests: when BACKUPTOOLS_TEST_PAUSE_AT names this point, the process says so on stderr and
/// stops there for good, so a test can SIGKILL it at exactly that step. Unset (always, outside tests) it does nothing.
/// </summary>
public static class FaultPoint
{
    public const string Variable = "BACKUPTOOLS_TEST_PAUSE_AT";

    public static void Reached(string name)
    {
        if (Environment.GetEnvironmentVariable(Variable) != name) return;
        Console.Error.WriteLine($"paused at {name}");
        Console.Error.Flush();
        Thread.Sleep(Timeout.Infinite);
    }
}
