namespace BackupTools.Tests.Tar; public class Placeholder { [Fact] public void X() {} }
