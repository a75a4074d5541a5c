using System.Runtime.InteropServices;

static unsafe class Zstd
{
    [DllImport("libzstd.so.1")] public static extern IntPtr ZSTD_createCCtx();
    [DllImport("libzstd.so.1")] public static extern nuint ZSTD_CCtx_setParameter(IntPtr context, int parameter, int value);
    [DllImport("libzstd.so.1")] public static extern nuint ZSTD_compress2(IntPtr context, byte* dst, nuint dstCapacity, byte* src, nuint srcSize);
    [DllImport("libzstd.so.1")] public static extern nuint ZSTD_compressBound(nuint srcSize);
}
