using System.Collections;
using System.Management.Automation;
using BackupTools.Core.Alerts;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Turns what arrives at Send-BackupAlert into AlertEvents. Status objects are read by their property
/// names (Cell, Engine, Source, Healthy, Warnings, LastSuccess) so any object shaped like
/// Get-BackupStatus output works, including a PSCustomObject.
/// </summary>
internal static class AlertInput
{
    /// <summary>The items of -InputObject (an array given by parameter is several items); PSCustomObjects stay wrapped
    /// so their properties can be read, everything else is unwrapped so type checks see the real object.</summary>
    public static IEnumerable<object> Flatten(PSObject? input)
    {
        var value = input?.BaseObject;
        if (value is null) yield break;
        if (value is IEnumerable items and not string and not IDictionary)
        {
            foreach (var item in items)
                if (item != null) yield return Unwrap(item as PSObject ?? PSObject.AsPSObject(item));
            yield break;
        }
        yield return Unwrap(input!);
    }

    private static object Unwrap(PSObject item) => item.BaseObject is PSCustomObject ? item : item.BaseObject;

    /// <summary>null when the object is nothing we can alert on.</summary>
    public static AlertEvent? ToEvent(object item) => item switch
    {
        BackupRecord record => AlertEvents.FromRecord(record),
        IntegrityResult result => AlertEvents.FromIntegrity(result),
        RestoreOutcome restored => AlertEvents.FromRestore(restored),
        CellRestoreReport report => AlertEvents.FromCellRestore(report),
        ErrorRecord error => FromError(error),
        IContainsErrorRecord wrapped => FromError(wrapped.ErrorRecord),
        Exception exception => AlertEvents.FromError(new ErrorSnapshot(null, null, exception.GetType().Name, exception.Message, null)),
        _ => StatusOf(item as PSObject ?? PSObject.AsPSObject(item)) is { } status ? AlertEvents.FromStatus(status) : null,
    };

    /// <summary>Get-BackupStatus's error about an unhealthy series is that series' status event (one event with the
    /// status itself when both arrive through 2>&amp;1); any other error is an error event.</summary>
    private static AlertEvent FromError(ErrorRecord error) =>
        (error.TargetObject is PSObject wrapped ? wrapped.BaseObject : error.TargetObject) is BackupStatus status
            ? AlertEvents.FromStatus(StatusOf(PSObject.AsPSObject(status))!)
            : AlertEvents.FromError(FromErrorRecord(error));

    public static ErrorSnapshot FromErrorRecord(ErrorRecord error)
    {
        var step = error.InvocationInfo?.MyCommand?.Name;
        if (string.IsNullOrEmpty(step)) step = string.IsNullOrEmpty(error.CategoryInfo.Activity) ? null : error.CategoryInfo.Activity;
        var source = error.TargetObject switch
        {
            null => null,
            BackupRecord r => r.Id,
            PSObject { BaseObject: BackupRecord r } => r.Id,
            var other => other.ToString(),
        };
        if (source is { Length: > 200 }) source = source[..200] + "…";
        var id = error.FullyQualifiedErrorId?.Split(',')[0] ?? "Error";
        var message = error.ErrorDetails?.Message ?? error.Exception?.Message ?? error.ToString();
        return new ErrorSnapshot(step, string.IsNullOrEmpty(source) ? null : source, id, message, error.ErrorDetails?.RecommendedAction);
    }

    private static StatusSnapshot? StatusOf(PSObject item)
    {
        if (item.Properties["Healthy"]?.Value is not { } healthy || !LanguagePrimitives.TryConvertTo<bool>(healthy, out var isHealthy)) return null;
        string? Text(string name) => item.Properties[name]?.Value?.ToString();
        var warnings = item.Properties["Warnings"]?.Value switch
        {
            null => Array.Empty<string>(),
            string one => [one],
            IEnumerable many => many.Cast<object?>().Where(w => w != null).Select(w => w!.ToString()!).ToArray(),
            var one => [one.ToString()!],
        };
        DateTimeOffset? last = LanguagePrimitives.TryConvertTo<DateTimeOffset>(item.Properties["LastSuccess"]?.Value, out var at) && item.Properties["LastSuccess"]?.Value != null ? at : null;
        return new StatusSnapshot(Text("Cell"), Text("Engine"), Text("Source"), isHealthy, warnings, last);
    }
}
