using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Command;

/// <summary>
/// A command's output has no format this tool knows (the verify command judged it at backup time): the check reads
/// it whole and compares its length with what the command wrote.
/// </summary>
public sealed class CommandOutputValidator : IContentValidator
{
    public string Name => "output";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var buffer = new byte[1 << 20];
        long bytes = 0;
        int read;
        while ((read = raw.Read(buffer, 0, buffer.Length)) > 0) bytes += read;
        var expected = manifest.EngineInfo?["outputBytes"]?.GetValue<long>();
        if (expected is { } count && count != bytes)
            throw new BackupIntegrityException("CommandOutputLengthMismatch", $"backup {manifest.Id} holds {bytes} bytes of command output, the command wrote {count}.");
        var verified = manifest.EngineInfo?["verified"]?.GetValue<bool>() == true ? "; the verify command accepted it at backup time" : "; no verify command was given";
        return $"{bytes} bytes{verified}";
    }
}
