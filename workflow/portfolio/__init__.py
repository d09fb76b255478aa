"""The city's DX action plan as plain domain data, independent of the database."""
