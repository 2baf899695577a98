using Datacake.Streams.LoadGen;

return await LoadCommand.RunAsync(args);
