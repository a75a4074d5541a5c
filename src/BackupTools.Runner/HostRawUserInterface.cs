using System.Management.Automation.Host;

namespace BackupTools.Runner;

/// <summary>Sizes only: tables are as wide as the terminal, or 120 columns when output goes to a file.</summary>
internal sealed class HostRawUserInterface(bool terminal) : PSHostRawUserInterface
{
    private int Width => terminal ? Math.Max(40, SafeWindowWidth()) : 120;

    private static int SafeWindowWidth()
    {
        try { return Console.WindowWidth; } catch (IOException) { return 120; }
    }

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override Size BufferSize { get => new(Width, 9999); set { } }
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; } = 1;
    public override bool KeyAvailable => false;
    public override Size MaxPhysicalWindowSize => new(Width, 9999);
    public override Size MaxWindowSize => new(Width, 9999);
    public override Coordinates WindowPosition { get; set; }
    public override Size WindowSize { get => new(Width, 50); set { } }
    public override string WindowTitle { get; set; } = "btrun";
    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException("The runner cannot read single keys.");
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
}
