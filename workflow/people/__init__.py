"""Who works in dxflow: user accounts and departments, passwords, personal API tokens and
substitutes (代理者) standing in for someone away."""
