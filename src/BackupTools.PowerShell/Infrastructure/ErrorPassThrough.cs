using System.Management.Automation;
using System.Reflection;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Writes an ErrorRecord received as input again, unchanged: still attributed to the command that failed (its
/// InvocationInfo, FullyQualifiedErrorId and position), not to the cmdlet passing it on. Cmdlet.WriteError restamps
/// every record with the writer's invocation unless the engine's PreserveInvocationInfoOnce flag is set — the
/// flag the engine itself sets when it forwards remote and job errors; it is internal, so it is set by reflection,
/// and without it (another engine version) the error is still written, only restamped.
/// </summary>
internal static class ErrorPassThrough
{
    private static readonly PropertyInfo? PreserveOnce =
        typeof(ErrorRecord).GetProperty("PreserveInvocationInfoOnce", BindingFlags.Instance | BindingFlags.NonPublic);

    public static void Write(Cmdlet cmdlet, ErrorRecord error)
    {
        if (error.InvocationInfo != null) PreserveOnce?.SetValue(error, true);
        cmdlet.WriteError(error);
    }
}
