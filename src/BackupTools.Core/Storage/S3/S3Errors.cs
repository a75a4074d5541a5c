using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Storage.S3;

/// <summary>
/// Maps SDK failures to BackupTools errors that name the endpoint and bucket. Messages are built from
/// status codes and S3 error codes only, so credentials can never leak into them.
/// </summary>
internal static class S3Errors
{
    public static Exception Translate(Exception e, S3Location location, string? key)
    {
        if (e is BackupToolsException or OperationCanceledException and not TaskCanceledException) return e;
        var where = $"{location.EndpointDisplay}, bucket '{location.Bucket}'";
        if (e is AmazonS3Exception s3)
        {
            var code = s3.ErrorCode ?? "";
            if (code == "NoSuchUpload")
                return new BackupToolsException("S3UploadLost", FailureKind.WriteError,
                    $"The multipart upload of '{key}' no longer exists at {where} (the server restarted, or a lifecycle rule aborted it).",
                    "Run the backup again; nothing incomplete was kept.", e);
            if (code == "NoSuchKey" || (s3.StatusCode == HttpStatusCode.NotFound && code != "NoSuchBucket" && key != null))
                return new StoreObjectNotFoundException(location.ToString(), key ?? "");
            if (code == "NoSuchBucket")
                return new BackupToolsException("S3BucketNotFound", FailureKind.NotFound,
                    $"Bucket '{location.Bucket}' does not exist at {location.EndpointDisplay}.",
                    "Create the bucket first (e.g. `aws s3 mb s3://" + location.Bucket + "`), or check the bucket name and endpoint.", e);
            if (s3.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized || code is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied")
                return new BackupToolsException("S3AccessDenied", FailureKind.AuthenticationFailure,
                    $"Access denied by {where} ({code}).",
                    "Check -StorageCredential or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_PROFILE, and the bucket policy.", e);
            if (code is "BadDigest" or "XAmzContentSHA256Mismatch" or "InvalidDigest")
                return new StoreUnavailableException(where, $"the bytes of '{key}' arrived damaged ({code}); resending", e);
            if ((int)s3.StatusCode >= 500 || code is "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable")
                return new StoreUnavailableException(where, $"the server answered {(int)s3.StatusCode} {code}", e);
            return new BackupToolsException("S3RequestFailed", FailureKind.WriteError,
                $"{where} refused the request for '{key}': {(int)s3.StatusCode} {code}.", null, e);
        }
        if (e is AmazonClientException && e.Message.Contains("credential", StringComparison.OrdinalIgnoreCase))
            return new BackupToolsException("S3CredentialsMissing", FailureKind.AuthenticationFailure,
                $"No S3 credentials were found for {where}.",
                "Pass -StorageCredential (access key id as user name, secret key as password), or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE.");
        if (IsNetwork(e))
            return new StoreUnavailableException(where, $"cannot reach the endpoint ({NetworkReason(e)})", e);
        return e;
    }

    private static bool IsNetwork(Exception e)
    {
        for (var x = e; x != null; x = x.InnerException)
            if (x is HttpRequestException or SocketException or IOException or TimeoutException or TaskCanceledException or WebException)
                return true;
        return e is AmazonClientException or AmazonServiceException { StatusCode: 0 };
    }

    private static string NetworkReason(Exception e)
    {
        for (var x = e; x != null; x = x.InnerException)
            if (x is SocketException s) return s.SocketErrorCode.ToString();
        for (var x = e; x != null; x = x.InnerException)
            if (x is TaskCanceledException or TimeoutException) return "timed out";
        return "connection failed";
    }
}
