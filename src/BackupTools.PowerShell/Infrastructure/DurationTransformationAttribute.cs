using System.Management.Automation;
using BackupTools.Core.Errors;
using BackupTools.Core.Retention;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>Lets a TimeSpan parameter take '14d', '12h', '2w', '1d12h' as well as a TimeSpan.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject ps ? ps.BaseObject : inputData;
        if (value is not string text) return value;
        try
        {
            return RetentionPolicy.ParseDuration(text);
        }
        catch (BackupInputException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message + " " + e.RecommendedAction, e);
        }
    }
}
