using System.Management.Automation;
using BackupTools.Core;
using BackupTools.Core.Errors;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// Lets a TimeSpan parameter take '14d', '30m', '2h', '1d12h' as well as a TimeSpan. Unquoted 20s / 7d / 1y arrive as
/// PowerShell numbers and are read by their literal suffix; any other bare number is refused instead of becoming ticks.
/// The range is checked by the core (DurationOutOfRange); only a value no TimeSpan can hold is refused here.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute(string parameter) : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        try
        {
            return value switch
            {
                string text => Durations.Parse(text, parameter, checkRange: false),
                TimeSpan or null => value,
                _ when value.GetType().IsPrimitive || value is decimal => Durations.FromNumber(value, parameter, checkRange: false),
                _ => value,
            };
        }
        catch (BackupInputException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message + " " + e.RecommendedAction, e);
        }
    }
}
