System.Console.WriteLine("runner");
