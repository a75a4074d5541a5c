using System.Text;
using Amazon.S3;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage.S3;

/// <summary>
/// Create-if-absent on S3, safe on servers that ignore conditional writes. Each contender writes a
/// unique claim under "&lt;key&gt;.claims/", then lists the claims: only a contender that sees its own claim
/// and no other live one may go on; it checks the key is still free and writes it (also with
/// If-None-Match: *, which AWS S3 has honoured since 2024 and some S3-compatible servers ignore). Two
/// contenders that see each other both back off and retry later. With S3's strong read-after-write
/// and list consistency, at most one contender gets past the listing while the key is free.
/// Claims older than <see cref="S3BackupStore.ClaimLifetime"/> come from a crashed contender and are ignored.
/// </summary>
internal sealed class S3ExclusiveCreate(S3BackupStore store, string key, CancellationToken cancel)
{
    private readonly string _claimPrefix = key + ".claims/";

    public bool Run(byte[] content)
    {
        if (store.Exists(key, cancel)) return false;
        var claim = _claimPrefix + Guid.NewGuid().ToString("N");
        store.Put(claim, Encoding.UTF8.GetBytes(Environment.MachineName), ifNoneMatch: false, cancel: cancel);
        try
        {
            if (!OnlyLiveClaim(claim)) return false;
            if (store.Exists(key, cancel)) return false;
            try
            {
                store.Put(key, content, ifNoneMatch: true, cancel: cancel);
                return true;
            }
            catch (BackupToolsException e) when (e.InnerException is AmazonS3Exception { StatusCode: System.Net.HttpStatusCode.PreconditionFailed })
            {
                return false;
            }
        }
        finally
        {
            try { store.Delete(claim); } catch (BackupToolsException) { /* expires after ClaimLifetime */ }
        }
    }

    private bool OnlyLiveClaim(string mine)
    {
        var claims = store.ListRaw(_claimPrefix, cancel).ToList();
        var own = claims.FirstOrDefault(c => c.Key == store.Target.KeyOf(mine));
        if (own?.LastModified is not { } ownTime) return false;
        // Ages are compared on the server's clock (LastModified), never against this host's clock.
        foreach (var other in claims)
        {
            if (other == own) continue;
            var age = ownTime - (other.LastModified ?? ownTime);
            if (age > S3BackupStore.ClaimLifetime)
            {
                try { store.Delete(other.Key[(store.Target.Prefix.Length == 0 ? 0 : store.Target.Prefix.Length + 1)..]); } catch (BackupToolsException) { }
                continue;
            }
            return false;
        }
        return true;
    }
}
