console.log(process.env.IGNITE_INPUT);
