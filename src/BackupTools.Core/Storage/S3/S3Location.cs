using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage.S3;

/// <summary>
/// s3://bucket/prefix?endpoint=…&amp;region=…&amp;pathStyle=true|false&amp;sse=AES256|aws:kms&amp;kmsKeyId=…&amp;storageClass=…&amp;partSize=8MB.
/// Endpoint and region fall back to AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and the SDK's region chain
/// (AWS_REGION, profile). Credentials are never part of the URI.
/// </summary>
public sealed record S3Location
{
    public const long MinPartSize = 5L << 20;
    public const long DefaultPartSize = 8L << 20;

    public required string Bucket { get; init; }
    /// <summary>Key prefix without leading or trailing '/'; empty for the bucket root.</summary>
    public string Prefix { get; init; } = "";
    public string? Endpoint { get; init; }
    public string? Region { get; init; }
    public bool PathStyle { get; init; }
    public string? ServerSideEncryption { get; init; }
    public string? KmsKeyId { get; init; }
    public string? StorageClass { get; init; }
    public long PartSize { get; init; } = DefaultPartSize;

    private static readonly string[] KnownOptions = ["endpoint", "region", "pathstyle", "sse", "kmskeyid", "storageclass", "partsize"];

    public static S3Location Parse(string uri)
    {
        if (!uri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase)) throw Invalid(uri, "it does not start with s3://.");
        var rest = uri[5..];
        var query = "";
        var q = rest.IndexOf('?');
        if (q >= 0) { query = rest[(q + 1)..]; rest = rest[..q]; }
        if (rest.Contains('@'))
            throw new BackupInputException("RepositoryCredentialsInUri", "Repository",
                "access keys must not be written into the repository URI (they would end up in logs and manifests).",
                "Remove 'key:secret@' and pass -StorageCredential, or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE.");
        var slash = rest.IndexOf('/');
        var bucket = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (!ValidBucket(bucket)) throw Invalid(uri, $"'{bucket}' is not a valid bucket name (3-63 characters: lowercase letters, digits, '.', '-').");
        if (prefix.Contains("//") || prefix.Split('/').Any(p => p is "." or "..")) throw Invalid(uri, $"the key prefix '{prefix}' has empty or '..' segments.");

        var options = ParseQuery(uri, query);
        var endpoint = Get(options, "endpoint") ?? EnvironmentEndpoint();
        if (endpoint != null && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var e) && e.Scheme is "http" or "https" && e.UserInfo.Length == 0))
            throw Invalid(uri, $"endpoint '{endpoint}' is not an http(s):// URL without credentials.");
        var sse = Get(options, "sse");
        if (sse != null && sse is not ("AES256" or "aws:kms"))
            throw Invalid(uri, $"sse='{sse}' is not supported; use sse=AES256 or sse=aws:kms (optionally with kmsKeyId=…).");
        var pathStyle = Get(options, "pathstyle");
        if (pathStyle != null && pathStyle is not ("true" or "false")) throw Invalid(uri, $"pathStyle='{pathStyle}' must be true or false.");
        var partSize = Get(options, "partsize") is { } ps ? ParseSize(uri, ps) : DefaultPartSize;

        return new S3Location
        {
            Bucket = bucket,
            Prefix = prefix,
            Endpoint = endpoint?.TrimEnd('/'),
            Region = Get(options, "region"),
            // Custom endpoints (MinIO, Ceph) mostly need path-style; Aliyun OSS needs pathStyle=false.
            PathStyle = pathStyle is null ? endpoint != null : pathStyle == "true",
            ServerSideEncryption = sse,
            KmsKeyId = Get(options, "kmskeyid"),
            StorageClass = Get(options, "storageclass"),
            PartSize = partSize,
        };
    }

    /// <summary>Canonical URI: opening it again gives the same store. Never has credentials.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("s3://").Append(Bucket);
        if (Prefix.Length > 0) text.Append('/').Append(Prefix);
        var options = new List<string>();
        if (Endpoint != null) options.Add("endpoint=" + Uri.EscapeDataString(Endpoint));
        if (Region != null) options.Add("region=" + Uri.EscapeDataString(Region));
        if (PathStyle != (Endpoint != null)) options.Add("pathStyle=" + (PathStyle ? "true" : "false"));
        if (ServerSideEncryption != null) options.Add("sse=" + Uri.EscapeDataString(ServerSideEncryption));
        if (KmsKeyId != null) options.Add("kmsKeyId=" + Uri.EscapeDataString(KmsKeyId));
        if (StorageClass != null) options.Add("storageClass=" + Uri.EscapeDataString(StorageClass));
        if (PartSize != DefaultPartSize) options.Add("partSize=" + PartSize);
        return options.Count == 0 ? text.ToString() : text.Append('?').Append(string.Join('&', options)).ToString();
    }

    /// <summary>Where requests go, for error messages ("http://127.0.0.1:9000" or "AWS S3").</summary>
    public string EndpointDisplay => Endpoint ?? "AWS S3" + (Region is null ? "" : $" ({Region})");

    public string KeyOf(string key) => Prefix.Length == 0 ? key : Prefix + "/" + key;

    private static string? EnvironmentEndpoint() =>
        NonEmpty(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL_S3")) ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL"));

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static Dictionary<string, string> ParseQuery(string uri, string query)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (!KnownOptions.Contains(name.ToLowerInvariant()))
                throw Invalid(uri, $"unknown option '{name}'; known options: endpoint, region, pathStyle, sse, kmsKeyId, storageClass, partSize.");
            options[name] = value;
        }
        return options;
    }

    private static string? Get(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    private static long ParseSize(string uri, string text)
    {
        var t = text.Trim().ToUpperInvariant();
        long factor = 1;
        if (t.EndsWith("MB")) { factor = 1L << 20; t = t[..^2]; }
        else if (t.EndsWith("GB")) { factor = 1L << 30; t = t[..^2]; }
        if (!long.TryParse(t, out var n) || n * factor < MinPartSize || n * factor > (512L << 20))
            throw Invalid(uri, $"partSize='{text}' must be between 5MB and 512MB (e.g. partSize=8MB).");
        return n * factor;
    }

    private static bool ValidBucket(string b) =>
        b.Length is >= 3 and <= 63 && b.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-') &&
        char.IsAsciiLetterOrDigit(b[0]) && char.IsAsciiLetterOrDigit(b[^1]);

    private static BackupInputException Invalid(string uri, string what) =>
        new("RepositoryUriInvalid", "Repository", $"'{Redact(uri)}': {what}",
            "Use s3://bucket/prefix?endpoint=https://host:port&region=…; see docs/repository-format.md.");

    private static string Redact(string uri)
    {
        var at = uri.IndexOf('@');
        return at > 5 ? "s3://***" + uri[at..] : uri;
    }
}
