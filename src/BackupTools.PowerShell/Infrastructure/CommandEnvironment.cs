using System.Collections;
using System.Management.Automation;
using System.Net;
using System.Security;
using BackupTools.Core.Errors;

namespace BackupTools.PowerShell.Infrastructure;

/// <summary>
/// -Environment of the command source cmdlets: a hashtable of variable name → value, where a value may be a
/// string, a SecureString or a PSCredential (its password). Secrets go this way, never into the command line.
/// </summary>
internal static class CommandEnvironment
{
    public static IReadOnlyDictionary<string, string> From(Hashtable? table)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        if (table is null) return variables;
        foreach (DictionaryEntry entry in table)
        {
            var name = entry.Key?.ToString() ?? "";
            var value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
            variables[name] = value switch
            {
                null => "",
                SecureString secure => new NetworkCredential("", secure).Password,
                PSCredential credential => credential.GetNetworkCredential().Password,
                string or ValueType => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                _ => throw new BackupInputException("CommandEnvironmentInvalid", "Environment",
                    $"the value of '{name}' is a {value.GetType().Name}; a value must be a string, number, SecureString or PSCredential.", "Pass the value as a string or a SecureString."),
            };
        }
        return variables;
    }
}
