using System.Text;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Verification;

/// <summary>A MySQL/MariaDB dump must end with the tool's "-- Dump completed" marker: a dump cut short fails.</summary>
internal sealed class MySqlDumpValidator : IContentValidator
{
    public string Name => "dump-complete";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        var buffer = new byte[1 << 20];
        var tail = new byte[512];
        int tailLength = 0, n;
        long statements = 0;
        while ((n = raw.Read(buffer)) > 0)
        {
            statements += buffer.AsSpan(0, n).Count("\n"u8);
            var keep = Math.Min(tailLength, tail.Length - Math.Min(n, tail.Length));
            Array.Copy(tail, tailLength - keep, tail, 0, keep);
            var take = Math.Min(n, tail.Length);
            Array.Copy(buffer, n - take, tail, keep, take);
            tailLength = keep + take;
        }
        if (!DumpSniffer.IsComplete(Encoding.UTF8.GetString(tail, 0, tailLength)))
            throw new BackupIntegrityException("MySqlDumpIncomplete", "The dump does not end with '-- Dump completed': it was cut short.");
        return $"completion marker present, {statements} lines";
    }
}
